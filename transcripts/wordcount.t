A cram test for a word-counting pipeline.

cram files (*.t) are plain text: lines indented by two spaces are the
transcript, every other line is a comment like this one. Output is compared
exactly, blank lines included, and commands write to a pipe rather than a
terminal, as they do under cram.

Set up a small corpus:

  $ cat > poem.txt <<'EOF'
  > the cat sat on the mat
  > the dog sat on the log
  > EOF

Count words, most frequent first (ties in alphabetical order):

  $ tr ' ' '\n' < poem.txt | sort | uniq -c | sort -k1,1nr -k2 | head -4
        4 the
        2 on
        2 sat
        1 cat

A blank line of output is written as a line of just two spaces. (A truly
empty line is a comment, which would end the block; keep an editor that
strips trailing spaces away from .t files.)

  $ printf 'first\n\nthird\n'
  first
  
  third

Because output goes to a pipe, ls prints one name per line:

  $ touch b.txt a.txt
  $ ls *.txt
  a.txt
  b.txt
  poem.txt

The environment is cram's: the C locale and GMT.

  $ echo "$LANG $LC_ALL $TZ"
  C C GMT

Patterns and exit statuses work as in Markdown transcripts:

  $ wc -c < poem.txt
  [ ]*46 (re)
  $ grep -c fox poem.txt
  0
  [1]
