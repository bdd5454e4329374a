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
            "name": "avatars",
            "endpoint": {
                "path": "/v1/avatars/list",
                "data_selector": "data"
            }
        },
        {
            "name": "tags",
            "endpoint": {
                "path": "/v1/tags/list",
                "data_selector": "data",
                "params": {
                    "avatar_id": "{{ stream_slice.avatar_id }}"
                }
            }
        },
        {
            "name": "custom_fields",
            "endpoint": {
                "path": "/v1/customfields/list",
                "data_selector": "data",
                "params": {
                    "avatar_id": "{{ stream_slice.avatar_id }}"
                }
            }
        },
        {
            "name": "sequences",
            "endpoint": {
                "path": "/v1/sequences/list",
                "data_selector": "data",
                "params": {
                    "avatar_id": "{{ stream_slice.avatar_id }}"
                }
            }
        }
    ]
})
