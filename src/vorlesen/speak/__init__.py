"""speak stage."""
