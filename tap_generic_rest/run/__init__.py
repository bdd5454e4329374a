"""What one run shares: the fetch pool, the writer, progress and logs."""
