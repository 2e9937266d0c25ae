# lambdactl completion for bash. Generated from the app by scripts/gen_completions.py:
# do not edit. Install: source it from ~/.bashrc (bash >= 4.4), or copy it to
# /etc/bash_completion.d/lambdactl
# (or run `lambdactl --install-completion`).

_lambdactl_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _LAMBDACTL_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _lambdactl_completion lambdactl
