"""REST API views: thin adapters over engine.services, one module per resource."""
