# src/optim: sources of this area (appended to the lists in Makefile.am)
