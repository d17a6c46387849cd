"""Tools from MCP (Model Context Protocol) servers, through the official `mcp` SDK: the
configuration (the `mcpServers` JSON other apps use), the connections, and the chat's
ToolBox over them. Importing this package does not import the SDK (that takes seconds)."""

from spark_desktop.mcp.config import McpConfig, McpConfigError, ServerConfig
from spark_desktop.mcp.hub import McpHub, McpTimeout, McpTool, McpUnavailable, ServerStatus
from spark_desktop.mcp.toolbox import McpToolBox, tool_name

__all__ = ["McpConfig", "McpConfigError", "McpHub", "McpTimeout", "McpTool", "McpToolBox",
           "McpUnavailable", "ServerConfig", "ServerStatus", "tool_name"]
