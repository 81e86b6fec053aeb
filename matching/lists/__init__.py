"""Match lists: capacity-aware allocations of graduates to talent gaps, reviewed entry by entry.

scope (which gaps) → candidates (the ranker's colleges per gap) → allocation (matching.allocation)
→ entries; then review, rounds, report, export and background jobs. Nothing here imports FastAPI.
"""
