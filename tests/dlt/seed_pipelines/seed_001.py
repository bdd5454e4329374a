import dlt
from dlt.sources.rest_api import rest_api_source

source = rest_api_source({
    "client": {
        "base_url": "https://api.example.com",
        "auth": {
            "type": "bearer",
            "token": dlt.secrets["api_key"]
        }
    },
    "resource_defaults": {
        "primary_key": "id",
        "write_disposition": "merge"
    },
    "resources": [
        {
            "name": "applications",
            "endpoint": {
                "path": "/v1/app",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "iterator",
                    "stop_condition": "done"
                }
            }
        },
        {
            "name": "event_types",
            "endpoint": {
                "path": "/v1/event-type",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "iterator",
                    "stop_condition": "done"
                }
            }
        },
        {
            "name": "tokens",
            "endpoint": {
                "path": "/v1/management/authentication/api-token",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "iterator",
                    "stop_condition": "done"
                }
            }
        },
        {
            "name": "endpoints",
            "endpoint": {
                "path": "/v1/app/{app_id}/endpoint",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "iterator",
                    "stop_condition": "done"
                }
            }
        },
        {
            "name": "integrations",
            "endpoint": {
                "path": "/v1/app/{app_id}/integration",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "iterator",
                    "stop_condition": "done"
                }
            }
        },
        {
            "name": "ingest_source",
            "endpoint": {
                "path": "/ingest/api/v1/source",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "iterator",
                    "stop_condition": "done"
                }
            }
        },
        {
            "name": "ingest_source_endpoint",
            "endpoint": {
                "path": "/ingest/api/v1/source/{src_id}/endpoint",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "iterator",
                    "stop_condition": "done"
                }
            }
        },
        {
            "name": "webhook_endpoint",
            "endpoint": {
                "path": "/v1/operational-webhook/endpoint",
                "data_selector": "data",
                "paginator": {
                    "type": "cursor",
                    "cursor_param": "iterator",
                    "stop_condition": "done"
                }
            }
        }
    ]
})
