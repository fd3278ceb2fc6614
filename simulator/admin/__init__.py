"""The /_sim control surface, all of it: surface.mount_admin mounts every route below.

  system    health, reset               clock     read, advance, set, speed
  messages  the journal, forced status  scenarios what is in force, reload
  webhooks  /_sim/webhooks              sink      /_sim/sink (and `postman-sim sink`)
  metrics   Prometheus                  docs      openapi.json and the docs page
  dashboard the live page               errors    AdminError, the one error shape
  bodies    query filters (the body reader is faces/bodies.py)   paging    limit/offset for every list

The domain objects behind it (engine, dispatcher, scenario runtime) have plain methods and know no HTTP.
Nothing is imported here: importing one module does not pull in every route.
"""
