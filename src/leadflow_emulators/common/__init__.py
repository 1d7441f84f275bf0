"""Parts every emulator shares: clock, ids, JSON responses, faults and the concurrency gate."""
