A cram test.

  $ echo hello
  goodbye
  $ printf 'a\n\nb\n'
  a
  $ false

More comments.

  $ printf 'x'
  x
