import type { CompleteResult } from './run.js';

// The scripts are thin, as gh's (cobra's) are: they hand the words to `osmeta __complete` and show
// its answer, one candidate a line (value, a tab, a description), then `:file` or `:none`.

/** The answer of `osmeta __complete`, as the scripts read it. */
export function completeView(r: CompleteResult): string {
  const lines = r.candidates.map((c) =>
    c.description ? `${c.value}\t${c.description.replace(/[\x00-\x1f\x7f]/g, ' ')}` : c.value,
  );
  return [...lines, `:${r.directive}`].join('\n') + '\n';
}

export const BASH_SCRIPT = `# bash completion for osmeta                                   -*- shell-script -*-
# osmeta completion bash > /usr/share/bash-completion/completions/osmeta
_osmeta() {
  local cur=\${COMP_WORDS[COMP_CWORD]} eq=
  local -a words=("\${COMP_WORDS[@]:1:COMP_CWORD}") lines
  COMPREPLY=()
  # "--os-cloud=" with the cursor after the '=': bash's current word is the '=' itself
  if [[ $cur == = ]]; then eq==; cur=; words+=(''); fi
  local out
  out=$("\${COMP_WORDS[0]}" __complete "\${words[@]}" 2>/dev/null) || return 0
  mapfile -t lines <<<"$out"
  local n=\${#lines[@]} i
  ((n > 0)) || return 0
  for ((i = 0; i < n - 1; i++)); do COMPREPLY+=("$eq\${lines[i]%%$'\\t'*}"); done
  if [[ \${lines[n - 1]} == :file ]]; then
    compopt -o filenames 2>/dev/null
    local f
    while IFS= read -r f; do COMPREPLY+=("$eq$f"); done < <(compgen -f -- "$cur")
  fi
  return 0
}
complete -F _osmeta osmeta
`;

export const ZSH_SCRIPT = `#compdef osmeta
# zsh completion for osmeta: osmeta completion zsh > "\${fpath[1]}/_osmeta"
_osmeta() {
  local out directive l v d
  local -a lines cands
  out=$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]}
  for l in "\${(@)lines[1,-2]}"; do
    v=\${l%%$'\\t'*}
    d=
    [[ $l == *$'\\t'* ]] && d=\${l#*$'\\t'}
    cands+=("\${v//:/\\\\:}\${d:+:$d}")
  done
  (( \${#cands} )) && _describe -t values osmeta cands
  [[ $directive == :file ]] && _files
  return 0
}
if [[ \${funcstack[1]} == _osmeta ]]; then _osmeta "$@"; else compdef _osmeta osmeta; fi
`;

export const FISH_SCRIPT = `# fish completion for osmeta: osmeta completion fish > ~/.config/fish/completions/osmeta.fish
function __osmeta_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l out (command $tokens[1] __complete $tokens[2..-1] "$cur" 2>/dev/null)
    or return
    set -l directive $out[-1]
    set -e out[-1]
    printf '%s\\n' $out
    if test "$directive" = ":file"
        __fish_complete_path "$cur"
    end
end
complete -c osmeta -f -a '(__osmeta_complete)'
`;

export const SCRIPTS = { bash: BASH_SCRIPT, zsh: ZSH_SCRIPT, fish: FISH_SCRIPT } as const;
