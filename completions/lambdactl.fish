# lambdactl completion for fish. Generated from the app by scripts/gen_completions.py:
# do not edit. Install: copy it to ~/.config/fish/completions/lambdactl.fish
# (or run `lambdactl --install-completion`).

complete --command lambdactl --no-files --arguments "(env _LAMBDACTL_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=get-args _TYPER_COMPLETE_ARGS=(commandline -cp) lambdactl)" --condition "env _LAMBDACTL_COMPLETE=complete_fish _TYPER_COMPLETE_FISH_ACTION=is-args _TYPER_COMPLETE_ARGS=(commandline -cp) lambdactl"
