"""Small MCP servers the tests (and anyone trying the MCP settings) run for real."""
