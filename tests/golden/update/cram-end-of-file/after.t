Output added at the end of a file with no final newline.

  $ echo last
  last