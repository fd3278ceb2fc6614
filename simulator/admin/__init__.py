"""The /_sim control surface: routes (create_admin), its error shape and its body reader.

Nothing is imported here, so the faces and the scenarios runtime can use `simulator.admin.bodies`
without importing the routes (which import them)."""
