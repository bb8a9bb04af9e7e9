"""stoneheat host tool."""
