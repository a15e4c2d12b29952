"""The ground floor: errors and their message catalogue, the permission matrix, reading scope,
join tokens, task and proxy helpers, the time zone and private files.

Every other package may import ``core``; ``core`` imports nothing of the project but itself
(``tests/test_layers.py``).
"""
