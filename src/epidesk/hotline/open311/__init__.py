"""The hotline as an Open311 GeoReport v2 endpoint (/open311/v2/), so that city-service
applications and dashboards can file and follow tickets."""
