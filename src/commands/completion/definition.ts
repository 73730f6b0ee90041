import { arg, defineCommand } from '../definition.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export const COMPLETION = defineCommand({
  name: 'completion',
  description: 'print the shell completion script for bash, zsh or fish',
  args: [arg('<shell>', SHELLS.join(', '))],
  options: [],
  help: `
The script completes commands, options, --os-cloud names (clouds.yaml), get's document names and
--netns namespaces; it asks 'osmeta __complete' for the values.

Examples:
  source <(osmeta completion bash)                       # this shell only
  osmeta completion bash > /etc/bash_completion.d/osmeta
  osmeta completion zsh > "\${fpath[1]}/_osmeta"
  osmeta completion fish > ~/.config/fish/completions/osmeta.fish`,
});
