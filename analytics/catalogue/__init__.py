"""The event catalogue: per-workspace event definitions (name, description, category) beside the
figures the triggers keep for every observed name (first and last seen, totals), and the
workspace's `strict` setting, which refuses product events the catalogue does not define."""
