import { HAS_FUNCTION, WALK } from "./bash.js";
import type { CommandSpec } from "./completion-spec.js";
import { specFunction, valuesFunction } from "./shell-data.js";

/**
 * The zsh completion script, with descriptions: `source <(pancode completion zsh)` after compinit, or saved as
 * `_pancode` in a directory of `fpath`.
 */
export function zshScript(specs: CommandSpec[]): string {
  return `#compdef pancode
# pancode completion for zsh. Load it with: source <(pancode completion zsh)   (after compinit)
# or save it as _pancode in a directory of $fpath. Generated from the CLI's own commands.
${specFunction(specs, true)}

${valuesFunction(specs)}

${HAS_FUNCTION}

_pancode() {
  local cur="\${words[CURRENT]}" cmdpath="" word i skip=0
  local -a words_ entries args values
  words_=("\${words[@]}")
  for (( i = 2; i < CURRENT; i++ )); do
${WALK}
  done
  if (( skip )); then
    values=(\${(f)"$(_pancode_values "$cmdpath" "\${words[CURRENT-1]}")"})
    if [[ "\${values[1]}" == "__files" ]]; then _files; else compadd -a values; fi
    return
  fi
  if [[ "$cur" == -* ]]; then
    entries=(\${(f)"$(_pancode_spec doptions "$cmdpath")"})
    _describe -t options 'option' entries
    return
  fi
  entries=(\${(f)"$(_pancode_spec dcommands "$cmdpath")"})
  args=(\${(f)"$(_pancode_spec args "$cmdpath")"})
  if (( \${#entries} )); then _describe -t commands 'command' entries; fi
  if (( \${#args} )); then compadd -a args; fi
  if (( ! \${#entries} && ! \${#args} )); then _files; fi
}

if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _pancode "$@"
else
  compdef _pancode pancode
fi
`;
}
