/** Shape shared by every pod template's containers, as far as the printers read it. */
export interface ContainerLike {
  name?: string;
  image?: string;
}

/**
 * upstream layoutContainerCells: the CONTAINERS and IMAGES cells, every container on one
 * line in spec order, names and images joined with ",".
 */
export function containerCells(
  containers: readonly ContainerLike[] | null | undefined,
): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? "").join(","), list.map((c) => c.image ?? "").join(",")];
}
