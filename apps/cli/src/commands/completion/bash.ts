import type { CommandSpec } from "./completion-spec.js";
import { specFunction, valuesFunction } from "./shell-data.js";

/**
 * The walk over the words typed so far, shared by the bash and zsh scripts: it follows subcommands to the command
 * being typed (`cmdpath`), and skips the value after a flag that takes one (`skip` is 1 when the word under the
 * cursor is such a value). `path` is not used as a name: it is special in zsh.
 */
export const WALK = `    word="\${words_[i]}"
    if (( skip )); then skip=0; continue; fi
    if [[ "$word" == -* ]]; then
      if [[ "$word" != *=* ]] && _pancode_has "$(_pancode_spec valued "$cmdpath")" "$word"; then skip=1; fi
      continue
    fi
    if _pancode_has "$(_pancode_spec commands "$cmdpath")" "$word"; then cmdpath="\${cmdpath:+$cmdpath }$word"; fi`;

/** `_pancode_has LINES WORD`: whether WORD is one of the lines (bash and zsh, no external program). */
export const HAS_FUNCTION = `_pancode_has() { [[ $'\\n'"$1"$'\\n' == *$'\\n'"$2"$'\\n'* ]]; }`;

/** The bash completion script: `source <(pancode completion bash)`. */
export function bashScript(specs: CommandSpec[]): string {
  return `# pancode completion for bash. Load it with: source <(pancode completion bash)
# or save it as ~/.local/share/bash-completion/completions/pancode. Generated from the CLI's own commands.
${specFunction(specs, false)}

${valuesFunction(specs)}

${HAS_FUNCTION}

_pancode() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" word i skip=0
  local -a words_=("\${COMP_WORDS[@]}")
  for (( i = 1; i < COMP_CWORD; i++ )); do
${WALK}
  done
  COMPREPLY=()
  if (( skip )); then
    local values
    values="$(_pancode_values "$cmdpath" "\${COMP_WORDS[COMP_CWORD-1]}")"
    if [[ "$values" == "__files" ]]; then
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
    fi
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_pancode_spec options "$cmdpath")" -- "$cur")
    return 0
  fi
  mapfile -t COMPREPLY < <(compgen -W "$(_pancode_spec commands "$cmdpath") $(_pancode_spec args "$cmdpath")" -- "$cur")
  return 0
}

complete -o bashdefault -o default -F _pancode pancode
`;
}
