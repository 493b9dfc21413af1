Output removed at the end of a file with no final newline.

  $ true
  stale
  [1]