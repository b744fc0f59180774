"""Language understanding shared by question answering and the dialogue: normalisation, element classes.

Pure Python over jieba, OpenCC, pypinyin and spaCy; knows nothing of Rasa or HTTP (the Rasa components that
wrap it live beside it and import Rasa only inside themselves).
"""
