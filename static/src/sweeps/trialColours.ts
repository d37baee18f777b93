// Each trial of a sweep in its own colour, the same in its curve and its row: hues a
// golden angle apart never repeat, so no two trials of a sweep look alike however many
// there are (neighbours by number are the furthest apart).
const GOLDEN_ANGLE = 137.508;

/** Trial `number`'s colour (1 for the first), lighter on a dark background. */
export function trialColour(number: number, dark = false): string {
  const hue = ((number - 1) * GOLDEN_ANGLE) % 360;
  return `hsl(${hue.toFixed(1)}, 70%, ${dark ? 65 : 42}%)`;
}
