/** The confirmation dialog for risky tool calls (to be built). */
export function ConfirmDialog() {
  return null;
}
