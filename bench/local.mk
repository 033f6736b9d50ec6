# bench: sources of this area (appended to the lists in Makefile.am)
EXTRA_DIST += bench/torch_side_by_side.py
