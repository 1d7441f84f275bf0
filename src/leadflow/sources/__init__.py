"""Source readers: one streaming reader per export format (Apollo, Sales Navigator, LinkedIn, mapped CSV).

A reader yields chunks of rows with their file and row provenance; rows that cannot be read (wrong column
count, undecodable bytes, broken quoting) come out as bad rows with a reason, never dropped.
"""
