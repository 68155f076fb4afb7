"""Training and labelling: LoRA fine-tuning of a student on a recipe and the labels of its
answers to the unseen test questions."""
