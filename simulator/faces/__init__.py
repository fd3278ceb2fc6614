"""The emulated APIs. Each face parses, validates and serialises its own wire shapes, nothing more."""
