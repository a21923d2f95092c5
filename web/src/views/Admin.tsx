/** Admin: users and tokens (to be built). */
export function Admin() {
  return <p className="p-6 text-sm text-zinc-500">admin</p>;
}
