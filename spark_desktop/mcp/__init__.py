"""Tools from MCP (Model Context Protocol) servers, through the official `mcp` SDK: the
configuration (the `mcpServers` JSON other apps use), the connections (`McpHub`), and the
chat's ToolBox over them (`spark_desktop.mcp.toolbox.McpToolBox`, not imported here: it
brings the chat package). Importing this package imports neither the SDK nor the chat."""

from spark_desktop.mcp.config import McpConfig, McpConfigError, ServerConfig
from spark_desktop.mcp.hub import McpHub, McpTimeout, McpTool, McpUnavailable, ServerStatus

__all__ = ["McpConfig", "McpConfigError", "McpHub", "McpTimeout", "McpTool",
           "McpUnavailable", "ServerConfig", "ServerStatus"]
