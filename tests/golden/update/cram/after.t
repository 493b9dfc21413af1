A cram test.

  $ echo hello
  hello
  $ printf 'a\n\nb\n'
  a
  
  b
  $ false
  [1]

More comments.

  $ printf 'x'
  x (no-eol)
