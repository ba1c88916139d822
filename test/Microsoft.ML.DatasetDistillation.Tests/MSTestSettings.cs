// Tests run one at a time: the layer's training uses both cores itself and results must not depend on scheduling.
[assembly: DoNotParallelize]
