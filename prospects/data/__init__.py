"""Data the prospects app reads: reference tables (CSV) and lexicons, apart from the code using them."""
