"""The core: messages, lifecycles, the scheduler, events and the store. It imports no aiohttp."""
