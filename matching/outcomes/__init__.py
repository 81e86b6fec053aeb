"""Outcomes as data: partnerships that exist, feedback on suggestions, and the pages that were served.

`training/` reads them through `matching.outcomes.read`; the service writes them through the modules
here (`partnerships`, `feedback`, `impressions`). Nothing here imports FastAPI.
"""
