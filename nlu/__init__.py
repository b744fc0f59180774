"""Language understanding shared by question answering and the dialogue: normalisation, element classes.

Pure Python over jieba, OpenCC, pypinyin and spaCy; knows nothing of Rasa or HTTP (the Rasa components that
wrap it live beside it and import Rasa only inside themselves).
"""

# the parse-data key of a message as the person wrote it: the Rasa pipeline normalises "text" for its classifiers
# (nlu.rasa_components), the actions answer the message itself (its salutation, masks, punctuation, numbered asks)
AS_WRITTEN = "text_as_written"
