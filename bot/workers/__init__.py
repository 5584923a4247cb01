"""Scale-out on PostgreSQL: the same units of work run as jobs of procrastinate workers."""
