// Tests run one at a time: kernels use both cores themselves and results must not depend on scheduling.
[assembly: DoNotParallelize]
