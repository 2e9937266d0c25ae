#compdef lambdactl
# lambdactl completion for zsh. Generated from the app by scripts/gen_completions.py:
# do not edit. Install: copy it as _lambdactl into a directory on $fpath (e.g. ~/.zfunc),
# then `autoload -Uz compinit && compinit` in ~/.zshrc
# (or run `lambdactl --install-completion`).

_lambdactl_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _LAMBDACTL_COMPLETE=complete_zsh lambdactl)
}

compdef _lambdactl_completion lambdactl
