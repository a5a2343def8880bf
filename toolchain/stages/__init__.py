"""The build stages; `tinyctl.pipeline` calls them in order and checks each result."""
