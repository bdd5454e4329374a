import dlt
from dlt.sources.rest_api import rest_api_source

source = rest_api_source({
    "client": {
        "base_url": "https://api.example.com/v2",
        "auth": {
            "type": "basic",
            "username": dlt.secrets["api_key"],
            "password": dlt.secrets["password"]
        }
    },
    "resource_defaults": {
        "primary_key": "id",
        "write_disposition": "merge"
    },
    "resources": [
        {
            "name": "accounts",
            "endpoint": {
                "path": "/accounts",
                "data_selector": "accounts",
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "broadcasts",
            "endpoint": {
                "path": "/{account_id}/broadcasts",
                "data_selector": "broadcasts",
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "campaigns",
            "endpoint": {
                "path": "/{account_id}/campaigns",
                "data_selector": "campaigns",
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "users",
            "endpoint": {
                "path": "/user",
                "data_selector": "users",
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "workflows",
            "endpoint": {
                "path": "/{account_id}/workflows",
                "data_selector": "workflows",
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "subscribers",
            "endpoint": {
                "path": "/{account_id}/subscribers",
                "data_selector": "subscribers",
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "custom_fields",
            "endpoint": {
                "path": "/{account_id}/custom_field_identifiers",
                "data_selector": [],
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "conversions",
            "endpoint": {
                "path": "/{account_id}/goals",
                "data_selector": "goals",
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "events",
            "endpoint": {
                "path": "/{account_id}/event_actions",
                "data_selector": [],
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "tags",
            "endpoint": {
                "path": "/{account_id}/tags",
                "data_selector": [],
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        },
        {
            "name": "webhooks",
            "endpoint": {
                "path": "/{account_id}/webhooks",
                "data_selector": "webhooks",
                "paginator": {
                    "type": "page_number",
                    "page_param": "page",
                    "limit": 100
                }
            }
        }
    ]
})
