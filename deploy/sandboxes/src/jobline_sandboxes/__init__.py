"""Local stand-ins for Jobline providers (never used by production settings)."""
