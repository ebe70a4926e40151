FROM jupyter/scipy-notebook:2023-10-20
USER root
RUN apt-get update --yes && \
    apt-get install --yes --no-install-recommends graphviz && \
    apt-get clean && rm -rf /var/lib/apt/lists/*
USER ${NB_UID}
RUN pip install --no-cache-dir 'plotly>=5.18' "networkx[default]" && \
    fix-permissions "${CONDA_DIR}" && \
    fix-permissions "/home/${NB_USER}"
VOLUME /home/jovyan/work
EXPOSE 8888
WORKDIR /home/jovyan/work
