"""The outbreak's simulated mass testing and the lab batch files it writes."""
