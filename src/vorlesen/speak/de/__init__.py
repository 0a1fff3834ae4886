"""speak/de stage."""
