/**
 * Unit traps for the spatial-instruction classifier (Table 3): one or more instructions per rule
 * and idiom of classifier.ts, written by the same hand as the rules. They check that each rule
 * and idiom still does its job; they are NOT a measure of accuracy (they are in-sample by
 * construction). The classifier's accuracy is measured on the frozen real-instruction set
 * (data/real-instructions, lib/data/classifier-eval.ts).
 */
export interface LabelledInstruction {
  text: string;
  spatial: boolean;
  /** Why the label is what it is (for traps). */
  note?: string;
}

export const CLASSIFIER_CASES: LabelledInstruction[] = [
  // spatial: ranks
  { text: "turn the leftmost cube into a red sphere", spatial: true },
  { text: "Make the rightmost dog brown", spatial: true },
  { text: "change the second cylinder from the left to green", spatial: true },
  { text: "remove the 2nd biggest object", spatial: true },
  { text: "turn the nearest cone into metal", spatial: true },
  { text: "paint the farthest car yellow", spatial: true },
  { text: "For their real volume, turn the smallest sphere into a cube", spatial: true },
  { text: "delete the tallest building", spatial: true },
  { text: "replace the third deepest object with a cone", spatial: true },
  { text: "make the object furthest to the left blue", spatial: true },
  // spatial: comparisons
  { text: "make the bigger dog white", spatial: true },
  { text: "make the cat taller than the chair", spatial: true, note: "size comparison between two objects" },
  { text: "the cup should be smaller than the plate", spatial: true },
  { text: "make the cube the same size as the sphere", spatial: true },
  // spatial: relations
  { text: "turn the sphere left of the red cube into gold", spatial: true },
  { text: "remove the bottle next to the laptop", spatial: true },
  { text: "put a bird above the tree", spatial: true },
  { text: "change the chair behind the table to wood", spatial: true },
  { text: "add a ball between the two dogs", spatial: true },
  { text: "make the man in front of the car wear a hat", spatial: true },
  { text: "color the cone on top of the box purple", spatial: true },
  // spatial: positions and depth
  { text: "remove the person on the left", spatial: true },
  { text: "add a boat in the background", spatial: true },
  { text: "make the house in the middle red", spatial: true },
  { text: "add a sun in the top left corner", spatial: true },
  { text: "change the left cup to blue", spatial: true },
  // spatial: direction and motion trend
  { text: "move the cube to the left", spatial: true },
  { text: "shift the ball slightly right", spatial: true },
  { text: "move the car closer", spatial: true },
  { text: "is the object in the image moving? if so, move it to the position it will be at the next moment", spatial: true },
  // non-spatial: global and attribute edits
  { text: "make it look like a painting by Van Gogh", spatial: false },
  { text: "turn the sky into a sunset", spatial: false },
  { text: "make the dog brown", spatial: false },
  { text: "add snow", spatial: false },
  { text: "make it black and white", spatial: false },
  { text: "change the season to winter", spatial: false },
  { text: "replace the cat with a tiger", spatial: false },
  { text: "remove the hat", spatial: false },
  { text: "make the cube metallic", spatial: false },
  { text: "add fireworks", spatial: false },
  // traps
  { text: "make it bigger", spatial: false, note: "a size change of one object, no comparison, no referent" },
  { text: "make the dog bigger", spatial: false, note: "resize, not a comparison between objects" },
  { text: "move to Mars", spatial: false, note: "destination outside the image" },
  { text: "move the party to the moon", spatial: false, note: "destination outside the image" },
  { text: "give him a top hat", spatial: false, note: "'top' as part of a noun" },
  { text: "make her left-handed", spatial: false, note: "'left' as handedness" },
  { text: "use the right colour for the sky", spatial: false, note: "'right' meaning correct" },
  { text: "all right, make it sunny", spatial: false, note: "'right' in an idiom" },
  { text: "make it look under water", spatial: false, note: "'under' in 'under water'" },
  { text: "turn it upside down", spatial: false, note: "a flip of the whole picture, not a position in the scene" },
  // rules and idioms added in the real-text pass (phrasings missed or misfired on real instructions)
  { text: "put the cake onto the plate", spatial: true, note: "placement onto a named object" },
  { text: "put a cat inside the car", spatial: true, note: "placement inside a named object" },
  { text: "swap the positions of the cat and the dog", spatial: true, note: "swap of positions" },
  { text: "flip the bottle upside down", spatial: true, note: "orientation of an object" },
  { text: "move the hand towards the oven knob", spatial: true, note: "direction towards an object" },
  { text: "take the cup out of the cupboard", spatial: true, note: "a containment the edit changes" },
  { text: "make the lower lip red", spatial: false, note: "'lower' in a body-part name" },
  { text: "make the shirt near-black", spatial: false, note: "'near' as a colour qualifier" },
  { text: "grab the egg with the right hand", spatial: false, note: "'right' in a body-part name" },
  { text: "make the man in the red shirt smile", spatial: false, note: "'in the shirt' is wearing, not a place" },
  { text: "put a mask on the man", spatial: false, note: "wearing, not placement" },
  { text: "change the background so it is in a cafe", spatial: false, note: "a new setting, not a place in the image" },
  { text: "have the car be a convertible with the top down", spatial: false, note: "'top down' is the roof's state" },
  { text: "make the colours deep blue", spatial: false, note: "'deep' as a colour shade" },
  { text: "increase the contrast to high contrast", spatial: false, note: "'high' as a quality" },
  { text: "give him a bigger smile", spatial: false, note: "comparative of an attribute" },
  { text: "turn up the brightness", spatial: false, note: "'up' without a movement" },
  { text: "make it a far away planet", spatial: false, note: "'far away' as a description" },
];
