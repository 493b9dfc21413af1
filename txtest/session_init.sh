# Run once by each session's bash, read from its command pipe.
# @CWD@ and @SENTINEL@ are filled in by txtest.session.
set +H +m +o history
unset HISTFILE PROMPT_COMMAND PS0 MAILCHECK
shopt -u checkwinsize
# bash starts where txtest runs; the caller's OLDPWD is kept
[[ -v OLDPWD ]] && __txtest_o=$OLDPWD || __txtest_o=
cd -- @CWD@ || exit 1
if [[ -n $__txtest_o ]]; then OLDPWD=$__txtest_o; else unset OLDPWD; declare -x OLDPWD; fi
unset __txtest_o
# Each command line starts `POSIXLY_CORRECT=y eval "__txtest_ret $__txtest_s..."$'\n...'`:
# in POSIX mode bash finds the special builtins (eval, unset, return) before
# any function of the same name, so a document's `eval()` or `return()` cannot
# catch them. __txtest_ret leaves POSIX mode and hands the previous status on
# as $?; its inner call holds POSIX mode only while `return` is looked up.
# It empties __txtest_s and puts back the prompt that expands: when
# __txtest_fin does not run after the command (a syntax error stops bash
# first), that prompt sets __txtest_s to bash's own $?, the status the next
# command then gets, instead of one left from before.
# After a non-zero status __txtest_k adds `&& ((1))`, which keeps that status
# from ending a `set -e` shell there and never runs; after 0 there is nothing
# to add, so a document's DEBUG trap sees one statement fewer. The newline
# lets bash run that line before it parses the command's text.
# Switching POSIX mode costs bash several microseconds, so only a non-zero
# status takes the inner call.
__txtest_ret() {
  unset POSIXLY_CORRECT
  __txtest_s= PS1=$__txtest_p
  (($1 == 0)) || POSIXLY_CORRECT=y __txtest_status "$1"
}
__txtest_status() { return "$1"; }
# After every command `__txtest_fin $?` runs: inside the eval, after a
# newline, when the text surely parses to its end (the eval then ends with 0,
# so an ERR trap does not run a second time for the eval); after the eval
# otherwise. It keeps the status, writes it into PS1 (a prompt with nothing
# left to expand, so a document's `shopt -u promptvars` changes nothing),
# puts the session's other prompts back whatever the command set, and
# stderr back on the terminal if the command sent it elsewhere for good (the
# prompt is drawn there; POSIX mode only for that rare `exec`).
# When a command's text ends inside a quote, after a backslash or in an
# unfinished compound command, bash draws the prompt it drew last, not
# expanded again; an empty line after such a command line gets a fresh one.
# Each statement of __txtest_fin costs bash some ten thousand instructions
# a command, so there are as few as can be.
__txtest_fin() {
  __txtest_s=$1 PS1=$__txtest_a$1$__txtest_c${!-}$__txtest_b PS2= PS0= PROMPT_COMMAND=
  [[ -t 2 ]] || POSIXLY_CORRECT=y __txtest_stderr
}
__txtest_stderr() { exec 2>/dev/tty; }
# An interactive command (SPEC §11) runs with SIGINT trapped: when Ctrl-C typed
# into it ends it, bash goes on to __txtest_fin instead of dropping the rest of
# the line. The command itself gets SIGINT as usual (exec resets a trap); the
# document's own INT trap is put back after (POSIX mode: `trap` is special).
__txtest_int() { __txtest_it=$(POSIXLY_CORRECT=y __txtest_trap -p INT); POSIXLY_CORRECT=y __txtest_trap : INT; }
__txtest_unint() {
  POSIXLY_CORRECT=y __txtest_trap - INT
  [[ -z $__txtest_it ]] || POSIXLY_CORRECT=y __txtest_eval "$__txtest_it"
  unset __txtest_it
}
__txtest_trap() { trap "$@"; }
__txtest_eval() { eval "$1"; }
# A block's terminal size (size=) and an interactive block's TERM, SPEC §11:
# `__txtest_size COLS ROWS TERM` while the block runs, `__txtest_size 80 24 ''`
# after it, which puts the TERM of before back as it was (value, unset, exported).
__txtest_size() {
  export COLUMNS=$1 LINES=$2
  if [[ -n $3 ]]; then
    if [[ -z ${__txtest_tset+x} ]]; then
      __txtest_t=${TERM-} __txtest_tset=${TERM+x} __txtest_tx=$(declare -p TERM 2>/dev/null)
      __txtest_tx=${__txtest_tx#declare -} __txtest_tx=${__txtest_tx%% *}
    fi
    export TERM=$3
  elif [[ -n ${__txtest_tset+x} ]]; then
    if [[ -z $__txtest_tset ]]; then
      unset TERM
    else
      TERM=$__txtest_t
      [[ $__txtest_tx == *x* ]] || export -n TERM
    fi
    unset __txtest_t __txtest_tset __txtest_tx
  fi
}
# A document that unsets every function (`unset -f $(compgen -A function)`)
# gets an error for these instead of a session that can run nothing more.
readonly -f __txtest_ret __txtest_status __txtest_fin __txtest_stderr __txtest_int
readonly -f __txtest_unint __txtest_trap __txtest_eval __txtest_size
__txtest_s=0 __txtest_k=('' ' && ((1))')
__txtest_p='@SENTINEL@' __txtest_a='@FIRST@' __txtest_b='@SECOND@' __txtest_c='\072'
PS2=''
# last: bash draws a prompt after every line it reads, and this is the first of ours
PS1=$__txtest_p
