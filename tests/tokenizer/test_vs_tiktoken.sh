#!/usr/bin/env bash
# tplr's tokenizer against tiktoken (tiktoken_ids.js), token for token:
#  - GPT-2's vocabulary on the stress text (stress.txt), the whole KJV Bible, and a text with
#    every code point of planes 0-3 and 14-16 in letter/digit/punctuation/space contexts;
#  - a 4096-token vocabulary that tplr learns from the KJV, read by tiktoken's own GPT-2-format
#    reader, on the KJV and the stress text;
#  - decode(encode(x)) == x for each text.
# usage: test_vs_tiktoken.sh PATH/TO/tplr
TPLR=$(realpath "${1:?usage: test_vs_tiktoken.sh PATH/TO/tplr}")
here=$(dirname "$(realpath "$0")")
source "$here/../cli/lib.sh"
cd "$work"

if ! command -v bible >/dev/null; then
  echo "the KJV text needs Debian's bible-kjv: run scripts/setup.sh" >&2
  exit 1
fi
bible -l0 'Gen1:1-Rev22:21' >kjv.txt
node "$here/tiktoken_ids.js" --codepoints codepoints.txt || exit 1
cp "$here/stress.txt" stress.txt

# same NAME TOKENIZER_FOR_TPLR TEXT [VOCAB_DIR_FOR_TIKTOKEN]
same() {
  local name=$1 tok=$2 text=$3 vocab=${4:-}
  if [ -n "$vocab" ]; then
    node "$here/tiktoken_ids.js" --vocab "$vocab" "$text" "$name.tik" || { bad "$name: tiktoken failed"; return; }
  else
    node "$here/tiktoken_ids.js" "$text" "$name.tik" || { bad "$name: tiktoken failed"; return; }
  fi
  "$TPLR" tokenizer encode --tokenizer "$tok" "$text" --format text >"$name.ours" || { bad "$name: tplr failed"; return; }
  if cmp -s "$name.tik" "$name.ours"; then
    ok "$name: $(wc -w <"$name.ours") tokens identical to tiktoken"
  else
    bad "$name: differs from tiktoken at token $(cmp "$name.tik" "$name.ours" | sed 's/.*byte //; s/,.*//') (byte offset in the id lists)"
  fi
  "$TPLR" tokenizer decode --tokenizer "$tok" "$name.ours" --out "$name.back"
  if cmp -s "$name.back" "$text"; then ok "$name: decodes back to the same bytes"; else bad "$name: decode differs"; fi
}

same "gpt2 stress" gpt2 stress.txt
same "gpt2 kjv" gpt2 kjv.txt
same "gpt2 code points" gpt2 codepoints.txt
"$TPLR" tokenizer train --vocab-size 4096 --out kjv4096 --quiet kjv.txt >/dev/null
same "kjv4096 kjv" kjv4096 kjv.txt kjv4096
same "kjv4096 stress" kjv4096 stress.txt kjv4096
finish
